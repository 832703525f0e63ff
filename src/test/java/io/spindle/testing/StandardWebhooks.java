package io.spindle.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Standard Webhooks signature of a delivery as an implementation that shares no code with Spindle computes
 * it: Python's {@code hmac}, {@code hashlib} and {@code base64}, run as {@code python3 -c}. A test compares what
 * a backend received with this, so that a mistake in Spindle's signer cannot be repeated by its checker.
 */
public final class StandardWebhooks {
    // argv: id, timestamp, then whsec_ secrets; stdin: the body as received. Prints v1,<signature> per secret.
    private static final String SCRIPT = """
            import base64, hashlib, hmac, sys
            msg_id, timestamp, secrets = sys.argv[1], sys.argv[2], sys.argv[3:]
            body = sys.stdin.buffer.read()
            content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
            for secret in secrets:
                assert secret.startswith("whsec_"), secret
                key = base64.b64decode(secret[len("whsec_"):], validate=True)
                digest = hmac.new(key, content, hashlib.sha256).digest()
                print("v1," + base64.b64encode(digest).decode())
            """;

    private StandardWebhooks() {
    }

    /** The {@code v1,…} signature of {@code id.timestamp.body} under each secret, in the order given. */
    public static List<String> expectedSignatures(String id, String timestamp, byte[] body, List<String> secrets) {
        List<String> command = new ArrayList<>(List.of("python3", "-c", SCRIPT, id, timestamp));
        command.addAll(secrets);
        try {
            Process python = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (OutputStream in = python.getOutputStream()) {
                in.write(body);
            }
            String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (!python.waitFor(30, TimeUnit.SECONDS)) {
                python.destroyForcibly();
                throw new IllegalStateException("python3 did not finish within 30 s");
            }
            if (python.exitValue() != 0) {
                throw new IllegalStateException("python3 exited with " + python.exitValue());
            }
            return out.lines().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run python3 (needed to check signatures independently)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
