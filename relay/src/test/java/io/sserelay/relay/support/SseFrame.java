package io.sserelay.relay.support;

import java.util.List;

/**
 * One block of an event stream as received (the lines up to a blank line), with the fields a
 * client would see.
 *
 * @param id       the id field, or null
 * @param event    the event field, or null
 * @param data     the data lines joined with LF, or null when the block had no data line
 * @param retry    the retry field, or null
 * @param comments the comment lines, without the leading colon
 */
public record SseFrame(String id, String event, String data, String retry, List<String> comments) {

    public boolean isEvent() {
        return data != null;
    }

    /** The type a browser dispatches the event as. */
    public String type() {
        return event == null ? "message" : event;
    }
}
