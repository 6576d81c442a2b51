package io.sserelay.relay.http;

import java.util.List;

/**
 * Finds one cookie in a request's {@code Cookie} headers, leniently: a browser sends every
 * cookie of the site, including ones other applications set that no strict parser accepts
 * (non-ASCII values, pairs without {@code =}, stray quotes), and none of those may keep a
 * subscriber out. Pairs are split on {@code ;} as RFC 6265, section 5.4 writes them; a pair this
 * class cannot read is skipped; only the cookie asked for is looked at.
 *
 * <p>When the name occurs more than once, the first pair wins: browsers send the cookie with the
 * longest path first (RFC 6265, section 5.4, step 2), so the first is the one set most
 * specifically for this site. docs/auth.md says how to name the cookie so that no other site can
 * plant one (the {@code __Host-} prefix).
 */
final class CookieHeader {

    private CookieHeader() {
    }

    /** The value of the first cookie called {@code name} in {@code headers}, or null; quotes around it removed. */
    static String first(List<String> headers, String name) {
        if (headers == null) {
            return null;
        }
        for (String header : headers) {
            int start = 0;
            while (start <= header.length()) {
                int end = header.indexOf(';', start);
                if (end < 0) {
                    end = header.length();
                }
                String value = valueIf(header, start, end, name);
                if (value != null) {
                    return value;
                }
                start = end + 1;
            }
        }
        return null;
    }

    /** The pair's value when {@code header[start, end)} is a pair named {@code name}, else null. */
    private static String valueIf(String header, int start, int end, String name) {
        // Searched within the pair only: a header of many '=' -less pairs costs one pass, not one per pair.
        int equals = -1;
        for (int i = start; i < end; i++) {
            if (header.charAt(i) == '=') {
                equals = i;
                break;
            }
        }
        if (equals < 0) {
            return null;
        }
        if (!header.substring(start, equals).strip().equals(name)) {
            return null;
        }
        String value = header.substring(equals + 1, end).strip();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        return value;
    }
}
