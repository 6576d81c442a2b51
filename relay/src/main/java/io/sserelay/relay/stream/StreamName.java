package io.sserelay.relay.stream;

import java.util.regex.Pattern;

/** Validates stream names: 1 to 200 characters from {@code A-Z a-z 0-9 . _ : -}. */
public final class StreamName {

    public static final int MAX_LENGTH = 200;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");

    private StreamName() {
    }

    public static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches();
    }

    /** The message a client sees for an invalid name; quotes at most the first 64 characters. */
    public static String describeInvalid(String name) {
        if (name == null || name.isEmpty()) {
            return "stream name is empty: use 1-" + MAX_LENGTH + " characters from A-Z a-z 0-9 . _ : -";
        }
        if (name.length() > MAX_LENGTH) {
            return "stream name is " + name.length() + " characters long; the limit is " + MAX_LENGTH;
        }
        String shown = name.length() > 64 ? name.substring(0, 64) + "..." : name;
        return "stream name '" + printable(shown) + "' is invalid: use 1-" + MAX_LENGTH
                + " characters from A-Z a-z 0-9 . _ : -";
    }

    static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
