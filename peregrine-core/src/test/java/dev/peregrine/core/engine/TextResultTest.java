package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.TokenStats;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextResultTest {

    @Test
    void tokenStats_refuseNegativeCounts_andMoreUnknownTokensThanTokens() {
        assertThatThrownBy(() -> new TokenStats(-1, false, 0)).hasMessageContaining("tokens must be >= 0");
        assertThatThrownBy(() -> new TokenStats(3, false, 4)).hasMessageContaining("unknownTokens must be in 0..3");
        assertThatThrownBy(() -> new TokenStats(3, false, -1)).hasMessageContaining("unknownTokens");
        assertThat(new TokenStats(0, true, 0).truncated()).isTrue();
    }

    @Test
    void tokenStats_ofAnEncodedText_carryItsLengthTruncationAndUnknownTokens() {
        EncodedText e = new EncodedText(new long[] {101, 100, 7, 102}, new long[4], true, 1);
        assertThat(TokenStats.of(e)).isEqualTo(new TokenStats(4, true, 1));
    }

    @Test
    void textResults_areEqualByTheBitsOfTheirValues_andTheirStats() {
        TextResult a = TextResult.of(new float[] {0.5f, -1f}, 5, false, 1);
        assertThat(a).isEqualTo(TextResult.of(new float[] {0.5f, -1f}, 5, false, 1));
        assertThat(a.hashCode()).isEqualTo(TextResult.of(new float[] {0.5f, -1f}, 5, false, 1).hashCode());
        assertThat(a).isNotEqualTo(TextResult.of(new float[] {0.5f, -1f}, 5, true, 1));
        assertThat(a).isNotEqualTo(TextResult.of(new float[] {0.5f, 1f}, 5, false, 1));
        assertThat(TextResult.of(new float[] {0f}, 1, false)).isNotEqualTo(TextResult.of(new float[] {-0f}, 1, false));
        assertThat(a.tokens()).isEqualTo(5);
        assertThat(a.unknownTokens()).isEqualTo(1);
    }

    @Test
    void textResults_refuseNulls_andReportTotalTokensAndClassifications() {
        assertThatThrownBy(() -> new TextResult(null, new TokenStats(1, false, 0))).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new TextResult(new float[1], null)).isInstanceOf(NullPointerException.class);
        List<TextResult> two = List.of(TextResult.of(new float[] {0.2f, 0.8f}, 3, false),
                TextResult.of(new float[] {0.9f, 0.1f}, 4, true));
        assertThat(TextResult.totalTokens(two)).isEqualTo(7);
        assertThat(two.get(0).classification(List.of("a", "b")).label()).isEqualTo("b");
        assertThat(two.get(1).withValues(new float[] {1f}).stats()).isEqualTo(two.get(1).stats());
    }
}
