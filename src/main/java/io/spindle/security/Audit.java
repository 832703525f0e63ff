package io.spindle.security;

import java.util.logging.Logger;

/**
 * One structured line (logfmt) per refused request on the logger {@code io.spindle.security.Audit}:
 * {@code refused status=403 client=key:web route="PUT /v1/queues/{name}" reason="role producer may not ..."}.
 * A line names the client and the route pattern, never a key, a token or a header; values that come from the
 * request are escaped and cut short, so a request cannot forge or flood lines.
 */
public final class Audit {
    private static final Logger LOG = Logger.getLogger(Audit.class.getName());
    private static final int MAX_VALUE = 128;

    private Audit() {
    }

    public static void refused(int status, String client, String route, String reason) {
        String line = "refused status=" + status
                + " client=" + quote(client)
                + " route=" + quote(route)
                + " reason=" + quote(reason);
        LOG.info(line);
    }

    /** A value as logfmt writes it: bare when it is simple, else quoted with {@code "}, {@code \} and controls escaped. */
    static String quote(String value) {
        String v = value.length() > MAX_VALUE ? value.substring(0, MAX_VALUE) + "…" : value;
        boolean bare = !v.isEmpty();
        for (int i = 0; i < v.length() && bare; i++) {
            char c = v.charAt(i);
            bare = c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '=';
        }
        if (bare) {
            return v;
        }
        StringBuilder out = new StringBuilder(v.length() + 2).append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < ' ' || c == 0x7f || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
