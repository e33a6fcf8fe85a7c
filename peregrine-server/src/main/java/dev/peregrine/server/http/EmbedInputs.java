package dev.peregrine.server.http;

import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.tokenize.TextTokenizer;
import dev.peregrine.core.tokenize.Token;
import dev.peregrine.server.inference.ServedModel;
import java.util.ArrayList;
import java.util.List;

/**
 * An embedding request's inputs, given as texts or as token ids (OpenAI's pre-tokenized
 * {@code input}: {@code [101, 2054, 102]} or {@code [[...], [...]]}; text-embeddings-inference takes the
 * same in {@code inputs}).
 *
 * <p>Token ids run as given, without special tokens added, as both OpenAI and text-embeddings-inference
 * do. They reach the model through the same path as texts (cache, drift, batcher all key on text): each
 * id list is decoded to the text that spells it, special tokens included, and that text is tokenized
 * without adding any. Only lists for which this gives back exactly the same ids are accepted, so what
 * runs is always the ids sent; any other list is refused (it is not a tokenization this model's
 * tokenizer makes: most often a client's tiktoken ids, meant for OpenAI's own models). With a prompt,
 * as in text-embeddings-inference, the ids are decoded without their special tokens and embedded as
 * the prompt and that text.
 *
 * @param texts             what to send down the serving path, in request order
 * @param addSpecialTokens  false when the texts spell their special tokens (decoded ids without a prompt)
 * @param tokenIds          whether the request gave token ids
 */
record EmbedInputs(List<String> texts, boolean addSpecialTokens, boolean tokenIds) {

    /**
     * @param given  the inputs as sent
     * @param field  their field's name, for messages
     * @param prompt the prompt the request will have put before each text, or null
     * @throws ApiException VALIDATION naming the input and what is wrong with its ids
     */
    static EmbedInputs of(TextsOrIds given, String field, int maxInputs, ServedModel model, String prompt) {
        if (given.ids().isEmpty()) {
            return new EmbedInputs(given.texts(), true, false);
        }
        List<long[]> lists = given.ids();
        TextTokenizer tokenizer = model.engine().tokenizer();
        List<String> texts = new ArrayList<>(lists.size());
        for (int i = 0; i < lists.size(); i++) {
            String where = given.flat() ? "'" + field + "'" : "'" + field + "[" + i + "]'";
            long[] ids = lists.get(i);
            try {
                tokenizer.checkIds(ids);
                if (prompt != null) {
                    texts.add(tokenizer.decode(ids, true));
                    continue;
                }
                String text = tokenizer.decode(ids, false);
                if (tokenizer.overBudget(text)) {
                    throw new ApiException(ApiError.VALIDATION, where + " decodes to " + text.length()
                            + " characters, over the limit of " + tokenizer.charBudget());
                }
                int differs = firstDifference(ids, tokenizer.tokens(text, false));
                if (differs >= 0) {
                    throw new ApiException(ApiError.VALIDATION, where + " is not a tokenization by model '" + model.name()
                            + "' (its ids decode to a text that tokenizes differently from position " + differs
                            + "), so it cannot be run as given. Token ids must come from this model's tokenizer "
                            + "(POST /tokenize shows them); OpenAI clients that send tiktoken's ids (langchain's "
                            + "OpenAIEmbeddings does unless check_embedding_ctx_length=False) should send the text");
                }
                texts.add(text);
            } catch (PeregrineException e) {
                throw new ApiException(ApiError.VALIDATION, where + ": " + e.getMessage());
            }
        }
        JsonInput.checkTexts(texts, field, maxInputs);
        return new EmbedInputs(texts, prompt != null, true);
    }

    private static int firstDifference(long[] ids, List<Token> tokens) {
        int n = Math.min(ids.length, tokens.size());
        for (int k = 0; k < n; k++) {
            if (tokens.get(k).id() != ids[k]) {
                return k;
            }
        }
        return ids.length == tokens.size() ? -1 : n;
    }
}
