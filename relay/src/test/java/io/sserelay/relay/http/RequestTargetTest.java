package io.sserelay.relay.http;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestTargetTest {

    @Test
    void decodesPercentEscapesAsUtf8InPathAndQueryAndPlusAsASpaceOnlyInTheQuery() {
        RequestTarget target = RequestTarget.parse("/streams/caf%C3%A9+x", "event=a+b%21&stream=%E2%82%AC");
        assertThat(target.path()).isEqualTo("/streams/café+x");
        assertThat(target.single("event")).isEqualTo("a b!");
        assertThat(target.all("stream")).containsExactly("€");
    }

    @Test
    void keepsASemicolonInThePathInsteadOfDroppingWhatFollowsIt() {
        assertThat(RequestTarget.parse("/streams/a;b=c", null).path()).isEqualTo("/streams/a;b=c");
    }

    @Test
    void takesRawBytesOfTheRequestLineAsUtf8() {
        assertThat(RequestTarget.parse("/streams/\u00c3\u00a9", null).path()).isEqualTo("/streams/é");
    }

    @Test
    void aParameterWithoutValueIsEmptyAndEmptyPairsAreNoParameters() {
        RequestTarget target = RequestTarget.parse("/events", "stream=a&&lastEventId&");
        assertThat(target.all("stream")).containsExactly("a");
        assertThat(target.single("lastEventId")).isEmpty();
    }

    @Test
    void refusesAnEscapeThatIsNotTwoHexDigits() {
        assertThatThrownBy(() -> RequestTarget.parse("/streams/a%zz", null))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.code()).isEqualTo("invalid_url"))
                .hasMessage("the request path has a '%' that does not start an escape of two hex digits such as %2F");
        assertThatThrownBy(() -> RequestTarget.parse("/events", "stream=a%2"))
                .hasMessage("the value of query parameter 'stream' has a '%' that does not start an escape of two hex"
                        + " digits such as %2F");
    }

    @Test
    void refusesBytesThatAreNotUtf8() {
        assertThatThrownBy(() -> RequestTarget.parse("/streams/%FF", null))
                .hasMessage("the request path is not UTF-8 once its escapes are decoded");
    }

    @Test
    void refusesAParameterTheEndpointDoesNotTakeAndNamesTheOnesItDoes() {
        RequestTarget target = RequestTarget.parse("/streams/a", "evnet=x");
        assertThatThrownBy(() -> target.acceptOnly("POST /streams/{stream}", Set.of("event")))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.code()).isEqualTo("unexpected_parameter"))
                .hasMessage("query parameter 'evnet' is not accepted by POST /streams/{stream}; it takes event");
    }

    @Test
    void escapesControlCharactersOfAnUnknownParameterInTheMessage() {
        RequestTarget target = RequestTarget.parse("/", "a%0Ab=1");
        assertThatThrownBy(() -> target.acceptOnly("GET /", Set.of()))
                .hasMessage("query parameter 'a\\u000ab' is not accepted by GET /; it takes no query parameters");
    }

    @Test
    void refusesASecondValueForAParameterThatTakesOne() {
        RequestTarget target = RequestTarget.parse("/streams/a", "event=x&event=x");
        assertThatThrownBy(() -> target.single("event"))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.code()).isEqualTo("repeated_parameter"));
        assertThat(target.all("event")).isEqualTo(List.of("x", "x"));
    }
}
