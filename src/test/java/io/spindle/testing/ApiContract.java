package io.spindle.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

/**
 * Holds the service to its OpenAPI document ({@code META-INF/openapi.yaml}, SPEC §11): the tests' HTTP helpers
 * ({@link TestServer}, the bus tests' server) hand every {@code /v1} answer here, and an answer the document does
 * not describe fails the test that got it — an undocumented status, a body that breaks its schema (JSON Schema
 * 2020-12, by networknt's validator), a missing {@code Location} or {@code Retry-After}, a header off its
 * pattern, or a success from a route the document lacks. Each operation checked is written to
 * {@code target/api-contract/exercised.txt}.
 */
public final class ApiContract {
    private static final String DOCUMENT = "https://spindle.invalid/openapi.json";
    /** Answers a path the document does not route may get: refusals before routing, and routing's own. */
    private static final Set<Integer> UNROUTED = Set.of(400, 401, 403, 404, 405, 429, 503);
    private static final ApiContract INSTANCE = load();

    private record Operation(String method, String template, Pattern pattern, int parameters, JsonNode node, String pointer) {
    }

    private final JsonNode document;
    private final List<Operation> operations;
    private final SchemaRegistry registry;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();
    private final Set<String> exercised = ConcurrentHashMap.newKeySet();

    private ApiContract(JsonNode document, String json) {
        this.document = document;
        this.registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                                                          b -> b.schemas(Map.of(DOCUMENT, json)));
        List<Operation> ops = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            String template = path.getKey();
            Pattern pattern = Pattern.compile(template.replaceAll("\\{[^/}]+}", "[^/]+"));
            int parameters = template.split("\\{", -1).length - 1;
            for (Iterator<String> methods = path.getValue().fieldNames(); methods.hasNext(); ) {
                String method = methods.next();
                if (!method.equals("parameters")) {
                    ops.add(new Operation(method.toUpperCase(Locale.ROOT), template, pattern, parameters,
                                          path.getValue().get(method), "/paths/" + escape(template) + "/" + method));
                }
            }
        }
        ops.sort(Comparator.comparingInt(Operation::parameters)); // a literal segment wins over a parameter
        this.operations = List.copyOf(ops);
        Runtime.getRuntime().addShutdownHook(new Thread(this::writeExercised, "api-contract-report"));
    }

    private static ApiContract load() {
        try (InputStream in = ApiContract.class.getClassLoader().getResourceAsStream("META-INF/openapi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("META-INF/openapi.yaml is not on the class path");
            }
            JsonNode document = new ObjectMapper(new YAMLFactory()).readTree(in);
            return new ApiContract(document, new ObjectMapper().writeValueAsString(document));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fails (AssertionError) when the answer to this request is not one the document describes. */
    public static void check(HttpRequest request, HttpResponse<String> response) {
        INSTANCE.verify(request.method(), request.uri(), response);
    }

    /** The document's operations as {@code METHOD template}. */
    public static Set<String> operations() {
        Set<String> all = new TreeSet<>();
        INSTANCE.operations.forEach(op -> all.add(op.method() + " " + op.template()));
        return all;
    }

    /** Every {@code METHOD template status} checked so far in this JVM. */
    public static Set<String> exercised() {
        return new TreeSet<>(INSTANCE.exercised);
    }

    private void verify(String method, URI uri, HttpResponse<String> response) {
        String path = uri.getRawPath();
        if (!path.startsWith("/v1/")) {
            return;
        }
        String verb = method.equals("HEAD") ? "GET" : method;
        int status = response.statusCode();
        // the most literal template that matches is the resource, as the router sees it (tasks/batch, not tasks/{id})
        Optional<String> resource = operations.stream().filter(op -> op.pattern().matcher(path).matches())
                .map(Operation::template).findFirst();
        Optional<Operation> found = resource.flatMap(template -> operations.stream()
                .filter(op -> op.template().equals(template) && op.method().equals(verb)).findFirst());
        if (found.isEmpty()) {
            if (!UNROUTED.contains(status)) {
                fail(method + " " + path + " answered " + status + ", but the document has no such operation");
            }
            return;
        }
        Operation op = found.get();
        exercised.add(op.method() + " " + op.template() + " " + status);
        String responsePointer = op.pointer() + "/responses/" + status;
        JsonNode described = op.node().path("responses").path(String.valueOf(status));
        if (described.isMissingNode()) {
            fail(op.method() + " " + op.template() + " answered " + status + " (" + path + "), which the document does not list: "
                 + response.body());
        }
        if (described.has("$ref")) {
            responsePointer = described.get("$ref").asText().substring(1);
            described = document.at(responsePointer);
        }
        String where = op.method() + " " + op.template() + " " + status + " (" + path + ")";
        checkHeaders(where, described.path("headers"), response);
        JsonNode content = described.path("content");
        String body = response.body() == null ? "" : response.body();
        if (content.isMissingNode() || content.isEmpty()) {
            if (!body.isEmpty()) {
                fail(where + " has a body, but the document describes none: " + body);
            }
            return;
        }
        String type = response.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip().toLowerCase(Locale.ROOT))
                .orElse("");
        if (!content.has(type)) {
            fail(where + " is " + type + ", but the document says " + content.properties().stream().map(Map.Entry::getKey).toList());
        }
        if (method.equals("HEAD") || !type.endsWith("json")) {
            return;
        }
        String pointer = responsePointer + "/content/" + escape(type) + "/schema";
        Schema schema = schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(DOCUMENT + "#" + p)));
        List<Error> errors = schema.validate(body, InputFormat.JSON);
        if (!errors.isEmpty()) {
            fail(where + " breaks its schema: " + errors.stream().map(Error::toString).toList() + "\nbody: " + body);
        }
    }

    private void checkHeaders(String where, JsonNode headers, HttpResponse<String> response) {
        for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> header = it.next();
            JsonNode spec = header.getValue().has("$ref") ? document.at(header.getValue().get("$ref").asText().substring(1))
                                                          : header.getValue();
            Optional<String> value = response.headers().firstValue(header.getKey());
            if (value.isEmpty()) {
                if (spec.path("required").asBoolean(false)) {
                    fail(where + " lacks the header " + header.getKey() + " that the document requires");
                }
                continue;
            }
            String pattern = spec.path("schema").path("pattern").asText(null);
            if (pattern != null && !Pattern.compile(pattern).matcher(value.get()).find()) {
                fail(where + ": header " + header.getKey() + " is '" + value.get() + "', not " + pattern);
            }
            if ("integer".equals(spec.path("schema").path("type").asText()) && !value.get().matches("[0-9]+")) {
                fail(where + ": header " + header.getKey() + " is '" + value.get() + "', not an integer");
            }
        }
    }

    private static void fail(String message) {
        throw new AssertionError("OpenAPI contract (META-INF/openapi.yaml): " + message);
    }

    private static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }

    private void writeExercised() {
        try {
            Path report = Path.of("target/api-contract/exercised.txt");
            Files.createDirectories(report.getParent());
            Set<String> lines = new TreeSet<>(exercised);
            if (Files.exists(report)) {
                lines.addAll(Files.readAllLines(report));
            }
            Files.write(report, lines);
        } catch (IOException e) {
            // a report is a convenience; the checks themselves already ran
        }
    }
}
