package io.spindle.bus;

/**
 * Where the bus sends events that subscribers on other instances want (the PostgreSQL bridge). Both methods are
 * called on the publisher's thread and must return at once.
 */
interface Forwarder {
    Forwarder NONE = new Forwarder() {
        @Override
        public boolean wants(String topic) {
            return false;
        }

        @Override
        public void forward(String topic, String type, String data) {
        }
    };

    /** Whether some other instance has a subscriber for the topic. */
    boolean wants(String topic);

    /** Sends the event on, without waiting; may drop it (and count it) when its own queue is full. */
    void forward(String topic, String type, String data);
}
