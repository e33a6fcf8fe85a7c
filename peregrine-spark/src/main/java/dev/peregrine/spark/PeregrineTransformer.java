package dev.peregrine.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What the embedder and the classifier share: the params, the schema check, and the partition
 * function that runs the executor's engine over length-sorted windows of each partition.
 */
public abstract class PeregrineTransformer extends Transformer {

    private static final long serialVersionUID = 1L;

    /** Rows of a partition read ahead per engine call, as a multiple of the batch size. */
    static final int WINDOW_BATCHES = 32;

    private final String uid;
    private final Param<String> model;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final IntParam batchSize;
    private final IntParam threadsPerTask;

    protected PeregrineTransformer(String uid, String defaultOutput) {
        this.uid = uid;
        this.model = new Param<>(this, "model", "model folder (a shared path, or a name shipped with "
                + "SparkModels.ship), embedded model name or pulled hub id");
        this.inputCol = new Param<>(this, "inputCol", "column of texts (string)");
        this.outputCol = new Param<>(this, "outputCol", "column to write the result to");
        this.batchSize = new IntParam(this, "batchSize", "most texts in one forward pass", ParamValidators.gtEq(1));
        this.threadsPerTask = new IntParam(this, "threadsPerTask",
                "ONNX Runtime intra-op threads of the executor's engine (0 = one per core)", ParamValidators.gtEq(0));
        setDefault(model, dev.peregrine.core.model.EmbeddedModels.DEFAULT_MODEL);
        setDefault(inputCol, "text");
        setDefault(outputCol, defaultOutput);
        setDefault(batchSize, 32);
        setDefault(threadsPerTask, 1);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> model() {
        return model;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public IntParam threadsPerTask() {
        return threadsPerTask;
    }

    public String getModel() {
        return getOrDefault(model);
    }

    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    public String getOutputCol() {
        return getOrDefault(outputCol);
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    public int getThreadsPerTask() {
        return (Integer) getOrDefault(threadsPerTask);
    }

    /** Columns this transformer adds, after the input's. */
    abstract List<StructField> outputFields();

    /** The function run on each partition. */
    abstract PartitionPredictor partitionFunction(EngineSpec spec, int textIndex);

    EngineSpec spec() {
        return new EngineSpec(getModel(), getThreadsPerTask(), getBatchSize());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String in = getInputCol();
        if (!List.of(schema.fieldNames()).contains(in)) {
            throw new IllegalArgumentException("input column '" + in + "' not found (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        if (!schema.apply(in).dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("input column '" + in + "' must be a string, not "
                    + schema.apply(in).dataType().simpleString());
        }
        List<StructField> fields = new ArrayList<>(List.of(schema.fields()));
        for (StructField added : outputFields()) {
            if (List.of(schema.fieldNames()).contains(added.name())) {
                throw new IllegalArgumentException("output column '" + added.name() + "' already exists");
            }
            fields.add(added);
        }
        return new StructType(fields.toArray(new StructField[0]));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        int textIndex = dataset.schema().fieldIndex(getInputCol());
        return dataset.toDF().mapPartitions(partitionFunction(spec(), textIndex), Encoders.row(out));
    }

    @Override
    public Transformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    static String randomUid(String prefix) {
        return Identifiable.randomUID(prefix);
    }
}
