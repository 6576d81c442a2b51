package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamIdsTest {

    private static final long E = EventId.newEpoch(3, 77);

    @Test
    void anIdNamesEachStreamsPlaceSortedByNameAndReadsBackTheSame() {
        Map<String, EventId> places = new HashMap<>();
        places.put("prices", new EventId(E, 12));
        places.put("orders", new EventId(E, 1_000));
        places.put("empty", null);
        String text = StreamIds.format(places);
        assertThat(text).as("a stream read from its start is ~0")
                .isEqualTo("empty~0,orders~" + new EventId(E, 1_000) + ",prices~" + new EventId(E, 12));
        assertThat(StreamIds.parse(text, 10)).isEqualTo(places);
        assertThat(StreamIds.parse("", 10)).isEmpty();
    }

    @Test
    void itsSizeFollowsTheStreamsNotTheCluster() {
        Map<String, EventId> places = new HashMap<>();
        places.put("a", new EventId(EventId.newEpoch(EventId.MAX_GENERATION, -1), EventId.MAX_OFFSET));
        assertThat(StreamIds.format(places).length()).isEqualTo(2 + EventId.MAX_TEXT_LENGTH);
    }

    @Test
    void anythingElseIsNoIdAtAll() {
        String one = "orders~" + new EventId(E, 5);
        for (String garbage : new String[] {null, "orders", "~" + new EventId(E, 5), one + ",", "," + one,
                one + "," + one, "ord ers~" + new EventId(E, 5), "orders~1-", "orders~x", one + ",,prices~1-1",
                "orders~" + new EventId(E, 5) + "~2", "a~1-1,b~1-1,c~1-1", "orders~00", "orders~0,orders~1-1"}) {
            assertThat(StreamIds.parse(garbage, 2)).as(String.valueOf(garbage)).isNull();
        }
        assertThat(StreamIds.parse("x".repeat(5_000), 2)).isNull();
    }
}
