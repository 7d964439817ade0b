// Engine defaults that the client side also needs (what a run records about the server it started),
// apart from index.ts so that reading them does not load llama.cpp.

/** Sequences the embedded engine decodes together when --parallel is not given. */
export const DEFAULT_PARALLEL = 4;
