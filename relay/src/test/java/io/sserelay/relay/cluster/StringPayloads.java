package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.MessageCodec.PayloadCodec;
import io.sserelay.relay.cluster.MessageCodec.Reader;
import io.sserelay.relay.cluster.MessageCodec.Writer;

/** The tests' events are strings; this is their wire form. */
public final class StringPayloads {

    public static final PayloadCodec<String> CODEC = new PayloadCodec<>() {
        @Override
        public void write(String payload, Writer out) {
            out.string(payload);
        }

        @Override
        public String read(Reader in) {
            return in.string();
        }
    };

    private StringPayloads() {
    }
}
