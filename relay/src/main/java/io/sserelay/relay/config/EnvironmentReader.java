package io.sserelay.relay.config;

import io.sserelay.api.relay.DurationText;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads typed values from environment variables and collects every problem instead of
 * stopping at the first, so one start-up reports all of them.
 */
final class EnvironmentReader {

    private static final Pattern BYTES = Pattern.compile("(\\d+)(Ki|Mi|Gi)?");

    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();

    EnvironmentReader(Map<String, String> env) {
        this.env = env;
    }

    /** The trimmed value, or null when unset or blank. */
    String string(String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    int integer(String name, int fallback, int min, int max) {
        String text = string(name);
        if (text == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(text);
            if (value < min || value > max) {
                problem(name, text, "must be between " + min + " and " + max);
                return fallback;
            }
            return value;
        } catch (NumberFormatException e) {
            problem(name, text, "is not a whole number");
            return fallback;
        }
    }

    /** Sizes as a plain number of bytes or with a binary suffix: {@code 65536}, {@code 64Ki}, {@code 1Mi}. */
    long bytes(String name, long fallback, long min, long max) {
        String text = string(name);
        if (text == null) {
            return fallback;
        }
        Matcher m = BYTES.matcher(text);
        if (!m.matches() || m.group(1).length() > 12) {
            problem(name, text, "is not a size: use bytes or a number with Ki, Mi or Gi, e.g. 64Ki");
            return fallback;
        }
        long unit = m.group(2) == null ? 1 : switch (m.group(2)) {
            case "Ki" -> 1024L;
            case "Mi" -> 1024L * 1024;
            default -> 1024L * 1024 * 1024;
        };
        long value;
        try {
            value = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException e) {
            value = Long.MAX_VALUE;
        }
        if (value < min || value > max) {
            problem(name, text, "must be between " + formatBytes(min) + " and " + formatBytes(max));
            return fallback;
        }
        return value;
    }

    /** A duration as an SseRelay writes it ({@link DurationText}), with its default and bounds written the same way. */
    Duration duration(String name, String fallback, String min, String max) {
        return duration(name, DurationText.of(fallback), DurationText.of(min), DurationText.of(max));
    }

    /** Durations as a number with a unit: {@code 500ms}, {@code 15s}, {@code 10m}, {@code 1h} ({@link DurationText}). */
    Duration duration(String name, Duration fallback, Duration min, Duration max) {
        String text = string(name);
        if (text == null) {
            return fallback;
        }
        Duration value = DurationText.parse(text);
        if (value == null) {
            problem(name, text, "is not a duration: use a number with ms, s, m or h, e.g. 15s");
            return fallback;
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            problem(name, text, "must be between " + formatDuration(min) + " and " + formatDuration(max));
            return fallback;
        }
        return value;
    }

    boolean bool(String name, boolean fallback) {
        String text = string(name);
        if (text == null) {
            return fallback;
        }
        switch (text.toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                problem(name, text, "must be true or false");
                return fallback;
        }
    }

    String choice(String name, String fallback, String... allowed) {
        String text = string(name);
        if (text == null) {
            return fallback;
        }
        if (!Arrays.asList(allowed).contains(text)) {
            problem(name, text, "must be one of " + String.join(", ", allowed));
            return fallback;
        }
        return text;
    }

    /** A comma-separated list; empty when unset. */
    List<String> list(String name) {
        String text = string(name);
        if (text == null) {
            return List.of();
        }
        List<String> items = new ArrayList<>();
        for (String item : text.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    void problem(String name, String value, String why) {
        problems.add(name + "=" + quote(value) + " " + why);
    }

    void problem(String message) {
        problems.add(message);
    }

    void throwIfProblems() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    private static String quote(String value) {
        return "'" + value + "'";
    }

    static String formatBytes(long bytes) {
        if (bytes >= 1024L * 1024 * 1024 && bytes % (1024L * 1024 * 1024) == 0) {
            return bytes / (1024L * 1024 * 1024) + "Gi";
        }
        if (bytes >= 1024L * 1024 && bytes % (1024L * 1024) == 0) {
            return bytes / (1024L * 1024) + "Mi";
        }
        if (bytes >= 1024 && bytes % 1024 == 0) {
            return bytes / 1024 + "Ki";
        }
        return Long.toString(bytes);
    }

    static String formatDuration(Duration duration) {
        return DurationText.format(duration);
    }
}
