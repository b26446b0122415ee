/**
 * Turns encoded images (JPEG/PNG/WebP bytes) into one feature vector each, in order, all of the same length.
 * An image that cannot be decoded makes the call reject with a TachyonError whose code is TCH_ERR_IMAGE_*;
 * `trainHead` then retries that batch image by image and skips the bad ones. Head training depends only on this
 * type, never on where the features come from (a full backbone, a cut featurizer, anything else).
 */
export type FeatureExtractor = (images: Uint8Array[]) => Promise<Float32Array[]>;
