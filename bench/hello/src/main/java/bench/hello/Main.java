package bench.hello;

import io.helidon.webserver.WebServer;

/**
 * The smallest Helidon SE service: GET /hello answers "Hello". The port comes from the PORT
 * environment variable (default 8080).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        WebServer.builder()
                .host("127.0.0.1")
                .port(port)
                .routing(routing -> routing.get("/hello", (req, res) -> res.send("Hello")))
                .build()
                .start();
    }
}
