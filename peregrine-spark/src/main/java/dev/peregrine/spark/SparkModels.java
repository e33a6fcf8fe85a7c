package dev.peregrine.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** Getting a model folder to the executors when they share no file system with the driver. */
public final class SparkModels {

    private SparkModels() {
    }

    /**
     * Ships a model folder to every executor with {@code SparkContext.addFile(folder, recursive)}.
     *
     * @return the name to give the transformers' {@code model} param (the folder's name); each
     *         executor finds its copy under {@code SparkFiles.get(name)}
     */
    public static String ship(SparkSession spark, Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("not a model folder: " + folder);
        }
        spark.sparkContext().addFile(folder.toAbsolutePath().toString(), true);
        return folder.toAbsolutePath().getFileName().toString();
    }
}
