package io.spindle.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import io.helidon.http.HeaderNames;
import io.helidon.openapi.OpenApiFeature;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.staticcontent.StaticContentFeature;

/**
 * What Spindle serves besides its API: the dashboard at {@code /ui/} (HTML, CSS and ES modules from the jar, uPlot
 * from its WebJar), the OpenAPI description at {@code /openapi} (the hand-written {@code META-INF/openapi.yaml},
 * as YAML or, when asked, JSON) and Swagger UI at {@code /openapi/ui/} (from its WebJar). Nothing is fetched at
 * run time; the pages use only the public {@code /v1} API.
 */
public final class WebContent {
    static final String OPENAPI_FILE = "META-INF/openapi.yaml";
    /** The dashboard may load its own scripts and styles and talk to its own origin, nothing else. */
    private static final String DASHBOARD_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'none'";

    private WebContent() {
    }

    /** The static pages: the dashboard, its chart library, Swagger UI and its bundle. */
    public static StaticContentFeature pages() {
        return StaticContentFeature.create(b -> b
                // files are streamed from the jar: no copies in a temporary directory, whose clean-up would install
                // Helidon's own JVM shutdown hook (the Lifecycle's is the only one)
                .temporaryStorage(t -> t.enabled(false).deleteOnExit(false))
                .addClasspath(cp -> cp.location("web/ui").context("/ui").welcome("index.html"))
                .addClasspath(cp -> cp.location(webjar("org.webjars.npm", "uplot") + "/dist").context("/ui/vendor/uplot"))
                .addClasspath(cp -> cp.location("web/openapi-ui").context("/openapi/ui").welcome("index.html"))
                .addClasspath(cp -> cp.location(webjar("org.webjars", "swagger-ui")).context("/openapi/ui/vendor")));
    }

    public static OpenApiFeature openApi() {
        return OpenApiFeature.builder().staticFile(OPENAPI_FILE).webContext("/openapi").build();
    }

    /** Security headers on the dashboard's pages: a strict content policy, no framing, no sniffing. */
    public static Filter headers() {
        return WebContent::pageHeaders;
    }

    private static void pageHeaders(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (path.startsWith("/ui")) {
            res.header(HeaderNames.create("Content-Security-Policy"), DASHBOARD_POLICY);
            res.header(HeaderNames.create("X-Content-Type-Options"), "nosniff");
            res.header(HeaderNames.create("Referrer-Policy"), "no-referrer");
        }
        chain.proceed();
    }

    /** The classpath folder of a WebJar's files, its version read from the jar's own Maven metadata. */
    static String webjar(String group, String artifact) {
        String metadata = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = WebContent.class.getClassLoader().getResourceAsStream(metadata)) {
            if (in == null) {
                throw new IllegalStateException("The WebJar " + group + ":" + artifact + " is missing from the class path");
            }
            Properties properties = new Properties();
            properties.load(in);
            return "META-INF/resources/webjars/" + artifact + "/" + properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
