package dev.peregrine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CacheKeyTest {

    private static CacheKey key(String model, String fingerprint, String parameters, String text) {
        return new CacheKey.Hasher(new CacheScope(model, fingerprint, parameters)).key(text);
    }

    @Test
    void sameScopeAndText_giveEqualKeys_fromSeparateHashers() {
        assertThat(key("m", "f", "p", "hello")).isEqualTo(key("m", "f", "p", "hello"))
                .hasSameHashCodeAs(key("m", "f", "p", "hello"));
    }

    @Test
    void everyField_changesTheKey() {
        Set<CacheKey> keys = new HashSet<>(List.of(key("m", "f", "p", "t"), key("m2", "f", "p", "t"),
                key("m", "f2", "p", "t"), key("m", "f", "p2", "t"), key("m", "f", "p", "t2"),
                key("m", "f", "p", "T"), key("m", "f", "p", "t ")));
        assertThat(keys).hasSize(7);
    }

    @Test
    void fieldBoundaries_cannotBeShifted() {
        assertThat(key("ab", "f", "p", "t")).isNotEqualTo(key("a", "bf", "p", "t"));
        assertThat(key("m", "f", "p;", "t")).isNotEqualTo(key("m", "f", "p", ";t"));
        assertThat(key("m", "f", "", "pt")).isNotEqualTo(key("m", "f", "p", "t"));
    }

    @Test
    void textsThatAreNotWellFormedUnicode_keepDistinctKeys() {
        assertThat(new HashSet<>(List.of(key("m", "f", "p", "\uD800"), key("m", "f", "p", "\uDC00"),
                key("m", "f", "p", "?"), key("m", "f", "p", "\uFFFD")))).hasSize(4);
    }

    @Test
    void hasherReusesItsBuffer_acrossTextsOfDifferentLengths() {
        CacheKey.Hasher hasher = new CacheKey.Hasher(new CacheScope("m", "f", "p"));
        String longText = "x".repeat(10_000);
        CacheKey shortKey = hasher.key("short");
        hasher.key(longText);
        assertThat(hasher.key("short")).isEqualTo(shortKey);
        assertThat(hasher.key(longText)).isEqualTo(key("m", "f", "p", longText));
    }

    @Test
    void redisKey_isThePrefixAndTheDigestInBase64url() {
        String redisKey = new String(key("m", "f", "p", "t").redisKey("peregrine:".getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8);
        assertThat(redisKey).matches("peregrine:[A-Za-z0-9_-]{43}");
    }
}
