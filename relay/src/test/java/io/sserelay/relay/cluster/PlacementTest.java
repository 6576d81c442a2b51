package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementTest {

    private static final List<String> FIVE = List.of("10.0.0.1:7070", "10.0.0.2:7070", "10.0.0.3:7070",
            "10.0.0.4:7070", "10.0.0.5:7070");

    @Test
    void ownerAndReplicaAreTwoDifferentMembersAndTheSameOnEveryRelay() {
        View view = View.of(3, FIVE);
        View sameMembersOtherOrder = View.of(3, List.of(FIVE.get(4), FIVE.get(2), FIVE.get(0), FIVE.get(3),
                FIVE.get(1)));
        for (int i = 0; i < 1_000; i++) {
            String stream = "user-" + i;
            assertThat(Placement.owner(view, stream)).isNotEqualTo(Placement.replica(view, stream))
                    .isEqualTo(Placement.owner(sameMembersOtherOrder, stream));
            assertThat(Placement.replica(view, stream)).isEqualTo(Placement.replica(sameMembersOtherOrder, stream));
        }
    }

    @Test
    void aNameHashesToTheFnvOfItsUtf8BytesWhateverItsCharacters() {
        // Relays of different versions meet in a rolling update: they must place every name alike.
        for (String name : List.of("", "a", "user-42", "orders/eu", "caf\u00e9", "\u65e5\u672c", "\ud83d\ude00x",
                "mixed-\u00e9-ascii")) {
            long expected = 0xcbf29ce484222325L;
            for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                expected = (expected ^ (b & 0xff)) * 0x100000001b3L;
            }
            assertThat(Placement.hash(name)).as(name).isEqualTo(expected);
        }
    }

    @Test
    void streamsSpreadEvenlyOverTheMembers() {
        Map<String, Integer> owned = new HashMap<>();
        for (int i = 0; i < 50_000; i++) {
            owned.merge(Placement.owner(View.of(1, FIVE), "orders-" + i), 1, Integer::sum);
        }
        assertThat(owned).hasSize(5);
        assertThat(owned.values()).allSatisfy(count -> assertThat(count).isBetween(9_000, 11_000));
    }

    @Test
    void aJoiningRelayTakesOnlyTheStreamsItWinsAndALeavingOnesGoToTheirReplicas() {
        View before = View.of(1, FIVE);
        List<String> six = new ArrayList<>(FIVE);
        six.add("10.0.0.6:7070");
        View after = View.of(2, six);
        int moved = 0;
        for (int i = 0; i < 30_000; i++) {
            String stream = "s" + i;
            String owner = Placement.owner(after, stream);
            if (!owner.equals(Placement.owner(before, stream))) {
                assertThat(owner).isEqualTo("10.0.0.6:7070");
                moved++;
            }
        }
        assertThat(moved).isBetween(4_000, 6_000); // about a sixth

        View withoutThird = View.of(3, List.of(FIVE.get(0), FIVE.get(1), FIVE.get(3), FIVE.get(4)));
        for (int i = 0; i < 10_000; i++) {
            String stream = "s" + i;
            String owner = Placement.owner(before, stream);
            assertThat(Placement.owner(withoutThird, stream)).isEqualTo(
                    owner.equals(FIVE.get(2)) ? Placement.replica(before, stream) : owner);
        }
    }

    @Test
    void aViewOfOneMemberHasNoReplicaAndAnEmptyOneNoOwner() {
        assertThat(Placement.owner(View.of(1, List.of("a:1")), "s")).isEqualTo("a:1");
        assertThat(Placement.replica(View.of(1, List.of("a:1")), "s")).isNull();
        assertThat(Placement.owner(View.of(1, List.of()), "s")).isNull();
    }
}
