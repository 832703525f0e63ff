package io.spindle.config;

/**
 * A configuration value that Spindle cannot start with; the message names the key.
 */
public final class InvalidSettingException extends RuntimeException {
    private final String key;

    public InvalidSettingException(String key, String problem) {
        super("invalid configuration '" + key + "': " + problem);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
