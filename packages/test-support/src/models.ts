// Tiny generated ONNX models (identity, softmax classifier, odd-size image model, a deliberately slow model).
export * from './generated-models.js';
export * from './slow-model.js';
export * from './tiny-image-service.js';
