// A small deterministic PRNG for generated test values, so a failure can be reproduced.

/** Numbers in [0, 1) from `seed`, the same sequence every run. */
export function prng(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state * 1664525 + 1013904223) >>> 0;
        return state / 2 ** 32;
    };
}
