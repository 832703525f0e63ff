package io.spindle.http;

import java.util.function.BiConsumer;

import io.helidon.common.GenericType;
import io.helidon.common.media.type.MediaType;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http.spi.Sink;
import io.helidon.webserver.http.spi.SinkProvider;
import io.helidon.webserver.http.spi.SinkProviderContext;
import io.spindle.bus.Event;

/**
 * Makes {@link EventStreamSink}s; Helidon finds it through {@code META-INF/services}. Every request may have one,
 * whatever its {@code Accept} (as before Helidon 4.5: clients such as curl send none or {@code *}{@code /*}).
 */
public final class EventStreamSinkProvider implements SinkProvider<Event> {

    @Override
    public boolean supports(GenericType<? extends Sink<?>> type, ServerRequest request) {
        return EventStreamSink.TYPE.equals(type);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <X extends Sink<Event>> X create(SinkProviderContext context) {
        return (X) new EventStreamSink(context);
    }

    /** Helidon only calls this for providers without {@link #create(SinkProviderContext)}. */
    @Override
    @SuppressWarnings("removal")
    public <X extends Sink<Event>> X create(ServerResponse response, BiConsumer<Object, MediaType> eventConsumer,
                                            Runnable closeRunnable) {
        throw new UnsupportedOperationException("event stream sinks are made from a SinkProviderContext");
    }
}
