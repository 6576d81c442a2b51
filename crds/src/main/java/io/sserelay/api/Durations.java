package io.sserelay.api;

/** The duration format the relay reads: a whole number and one unit, {@code 500ms}, {@code 15s}, {@code 10m}, {@code 1h}. */
final class Durations {

    /** A CEL condition that {@code self} is such a duration (CEL's duration() then parses it). */
    static final String RULE = "self.matches('^[0-9]{1,9}(ms|s|m|h)$')";

    private Durations() {
    }
}
