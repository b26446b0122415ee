import type { PreprocessConfig } from './preprocess-options.js';

/** Where the output comes from: resize the whole image to resizedWidth x resizedHeight, then take this window. */
export interface ResizeGeometry {
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** The resize and crop for an (already oriented) image of `width` x `height`, as torchvision computes them. */
export function computeResizeGeometry(width: number, height: number, config: PreprocessConfig): ResizeGeometry {
  const [outHeight, outWidth] = config.size;
  if (config.resize === 'stretch') {
    return { resizedWidth: outWidth, resizedHeight: outHeight, left: 0, top: 0, width: outWidth, height: outHeight };
  }
  // torchvision Resize(int): the short side gets the size, the long side is truncated (Python int()).
  const short = config.resizeShortSide;
  const resizedWidth = width <= height ? short : Math.max(short, Math.floor((short * width) / height));
  const resizedHeight = width <= height ? Math.max(short, Math.floor((short * height) / width)) : short;
  // torchvision CenterCrop: int(round((size - crop) / 2)) with Python's round half to even.
  return {
    resizedWidth,
    resizedHeight,
    left: roundHalfEven((resizedWidth - outWidth) / 2),
    top: roundHalfEven((resizedHeight - outHeight) / 2),
    width: outWidth,
    height: outHeight,
  };
}

/** Python 3 `round()` for the halves that (n - crop) / 2 produces: 58.5 -> 58, 57.5 -> 58. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
