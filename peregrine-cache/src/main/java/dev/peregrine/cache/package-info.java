/**
 * The prediction cache: per-text results of a model, kept in process (Caffeine) and optionally in a
 * Redis shared by several replicas, in front of whatever computes them.
 */
package dev.peregrine.cache;
