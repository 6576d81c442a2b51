package io.sserelay.relay;

import io.sserelay.relay.support.RelayProcess;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What a relay process prints, start to stop: everything a user needs and no secret it was given. */
class RelayOutputTest {

    private static final String PUBLISH_TOKEN = "configured-publish-token-0123456789";
    private static final String SUBSCRIBE_TOKEN = "configured-subscribe-token-0123456789";
    private static final String PEER_TOKEN = "configured-peer-token-0123456789";

    @Test
    void printsNoTokenItWasGiven() {
        String output;
        try (RelayProcess relay = RelayProcess.start(Map.of(
                "RELAY_PUBLISH_TOKEN", PUBLISH_TOKEN,
                "RELAY_SUBSCRIBE_AUTH", "token",
                "RELAY_SUBSCRIBE_TOKEN", SUBSCRIBE_TOKEN,
                "RELAY_PEER_TOKEN", PEER_TOKEN,
                "RELAY_PEER_PORT", "17272"))) {
            relay.terminate();
            relay.awaitExit();
            output = relay.output();
        }
        assertThat(output).contains("is up at http://127.0.0.1:")
                .contains("publish:   curl -H 'Authorization: Bearer <the publish token>' -d 'hello'")
                .contains("stopped")
                .doesNotContain(PUBLISH_TOKEN).doesNotContain(SUBSCRIBE_TOKEN).doesNotContain(PEER_TOKEN);
    }

    @Test
    void printsATokenItMadeUpSoItsUserCanPublish() {
        Map<String, String> env = new HashMap<>();
        env.put("RELAY_PUBLISH_TOKEN", null);
        try (RelayProcess relay = RelayProcess.start(env)) {
            await().until(() -> relay.output().contains("Ctrl-C stops the relay"));
            Matcher generated = Pattern.compile("publish token \\(generated; set RELAY_PUBLISH_TOKEN to choose one\\):"
                    + " (\\S+)").matcher(relay.output());
            assertThat(generated.find()).as(relay.output()).isTrue();
            assertThat(relay.output()).contains("curl -H 'Authorization: Bearer " + generated.group(1) + "'");
        }
    }
}
