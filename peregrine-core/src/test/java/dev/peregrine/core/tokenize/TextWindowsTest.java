package dev.peregrine.core.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The splitter's arithmetic on made-up token ids: every content token covered, windows full, specials repeated. */
class TextWindowsTest {

    /** Ids 100.. for content, 1 and 2 as leading specials, 3 as the trailing one; type ids 7. */
    private static EncodedText text(int content) {
        int n = content + 3;
        long[] ids = new long[n];
        long[] types = new long[n];
        ids[0] = 1;
        ids[1] = 2;
        for (int i = 0; i < content; i++) {
            ids[2 + i] = 100 + i;
        }
        ids[n - 1] = 3;
        java.util.Arrays.fill(types, 7);
        return new EncodedText(ids, types, false, 0);
    }

    @Test
    void everyContentTokenIsInSomeWindow_inOrder_andEveryWindowIsFullWithItsSpecials() {
        for (int maxLength : new int[] {5, 8, 16, 64}) {
            for (int overlap : new int[] {0, 1, 3, 32}) {
                for (int content = 0; content < 300; content += 7) {
                    EncodedText whole = text(content);
                    List<EncodedText> windows = TextWindows.split(whole, 2, 1, maxLength, overlap, 105);
                    assertThat(windows).hasSize(TextWindows.count(whole.length(), 3, maxLength, overlap));
                    if (whole.length() <= maxLength) {
                        assertThat(windows).containsExactly(whole);
                        continue;
                    }
                    int slice = maxLength - 3;
                    int ov = TextWindows.effectiveOverlap(overlap, slice);
                    List<Long> seen = new ArrayList<>();
                    long previousFirst = -1;
                    for (EncodedText w : windows) {
                        assertThat(w.length()).isEqualTo(maxLength);
                        assertThat(w.ids()[0]).isEqualTo(1);
                        assertThat(w.ids()[1]).isEqualTo(2);
                        assertThat(w.ids()[maxLength - 1]).isEqualTo(3);
                        assertThat(w.typeIds()).containsOnly(7L);
                        assertThat(w.truncated()).isFalse();
                        long first = w.ids()[2];
                        assertThat(first).isGreaterThan(previousFirst);
                        if (previousFirst >= 0 && w != windows.get(windows.size() - 1)) {
                            assertThat(first - previousFirst).as("stride").isEqualTo(slice - ov);
                        }
                        previousFirst = first;
                        for (int i = 2; i < maxLength - 1; i++) {
                            long id = w.ids()[i];
                            assertThat(id).as("contiguous slice").isEqualTo(first + i - 2);
                            if (seen.isEmpty() || id > seen.get(seen.size() - 1)) {
                                seen.add(id);
                            }
                        }
                        assertThat(w.unknownTokens()).isEqualTo(first <= 105 && 105 < first + slice ? 1 : 0);
                    }
                    assertThat(seen).as("all content tokens, once each, in order").hasSize(content);
                    assertThat(windows.get(windows.size() - 1).ids()[maxLength - 2]).as("the last window ends at the end")
                            .isEqualTo(100 + content - 1);
                }
            }
        }
    }

    @Test
    void theOverlapIsAtMostHalfAWindow_soWindowsAlwaysAdvance() {
        assertThat(TextWindows.effectiveOverlap(32, 254)).isEqualTo(32);
        assertThat(TextWindows.effectiveOverlap(32, 14)).isEqualTo(7);
        assertThat(TextWindows.effectiveOverlap(5, 1)).isZero();
        // 2,000 tokens in windows of 256 with BERT's two specials: slices of 254 every 222 tokens.
        assertThat(TextWindows.count(2000, 2, 256, 32)).isEqualTo(1 + (1998 - 254 + 221) / 222).isEqualTo(9);
        assertThat(TextWindows.count(256, 2, 256, 32)).isEqualTo(1);
        assertThat(TextWindows.count(257, 2, 256, 32)).isEqualTo(2);
    }

    @Test
    void aWindowWithNoRoomBesideItsSpecialTokens_isRefused() {
        assertThatThrownBy(() -> TextWindows.split(text(10), 2, 1, 3, 0, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no room");
    }
}
