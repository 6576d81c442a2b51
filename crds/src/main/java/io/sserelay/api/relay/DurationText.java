package io.sserelay.api.relay;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a duration is written in an SseRelay and in the relay's environment: a whole number of at
 * most nine digits and one unit, {@code 500ms}, {@code 15s}, {@code 10m}, {@code 1h}. The CRD
 * checks it with {@link #RULE}, the relay reads it with {@link #parse}.
 */
public final class DurationText {

    /** A CEL condition that {@code self} is such a duration (CEL's {@code duration()} then parses it). */
    public static final String RULE = "self.matches('^[0-9]{1,9}(ms|s|m|h)$')";

    private static final Pattern FORM = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

    private DurationText() {
    }

    /** The duration {@code text} writes, or null when it is not one. */
    public static Duration parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            return null;
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }

    /** {@code text} parsed, for a constant of this project that must be a duration. */
    public static Duration of(String text) {
        Duration duration = parse(text);
        if (duration == null) {
            throw new IllegalArgumentException("'" + text + "' is not a duration");
        }
        return duration;
    }

    /** The shortest text of {@code duration} in whole units: {@code 1h}, {@code 90s}, {@code 1500ms}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 3_600_000 == 0 && millis > 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0 && millis > 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }
}
