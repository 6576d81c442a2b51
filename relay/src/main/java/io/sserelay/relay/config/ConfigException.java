package io.sserelay.relay.config;

import java.util.List;

/** The relay's configuration is invalid; the message lists every problem, one per line. */
public final class ConfigException extends RuntimeException {

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems), null, false, false);
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
