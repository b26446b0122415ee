import { TachyonError } from '@tachyon-serve/protocol';
import { compilePreprocess, type PreprocessConfig } from './preprocess-options.js';

export type PresetName = 'torchvision224' | 'caffe227' | 'caffe224';

/**
 * The preprocessing presets of the model catalog (see ../shared/models/README.md):
 * - torchvision224: `Resize(256)` (PIL bilinear, antialiased) + `CenterCrop(224)`, RGB, /255, ImageNet mean/std, NCHW.
 * - caffe227: whole image stretched to 227x227 with plain bilinear (OpenCV INTER_LINEAR, no antialiasing),
 *   BGR, values kept in 0..255, mean B 104 G 117 R 123, NCHW.
 * - caffe224: `Resize(256)` + `CenterCrop(224)` as torchvision224, then BGR, mean B 103.94 G 116.78 R 123.68 and
 *   scale 0.017 (std 1/0.017): the documented input of the Caffe DenseNet-121 (shicai/DenseNet-Caffe) that the
 *   ONNX Model Zoo's densenet-12 was converted from.
 */
export const PRESETS: Readonly<Record<PresetName, PreprocessConfig>> = Object.freeze({
  torchvision224: compilePreprocess({
    resize: 'short-side-crop',
    resizeShortSide: 256,
    size: [224, 224],
    interpolation: 'antialias',
    channelOrder: 'RGB',
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    layout: 'NCHW',
  }),
  caffe227: compilePreprocess({
    resize: 'stretch',
    size: [227, 227],
    interpolation: 'bilinear',
    channelOrder: 'BGR',
    scale: 1,
    mean: [104, 117, 123],
    std: [1, 1, 1],
    layout: 'NCHW',
  }),
  caffe224: compilePreprocess({
    resize: 'short-side-crop',
    resizeShortSide: 256,
    size: [224, 224],
    interpolation: 'antialias',
    channelOrder: 'BGR',
    scale: 1,
    mean: [103.94, 116.78, 123.68],
    std: [1 / 0.017, 1 / 0.017, 1 / 0.017],
    layout: 'NCHW',
  }),
});

export const PRESET_NAMES: readonly PresetName[] = Object.freeze(Object.keys(PRESETS) as PresetName[]);

/** The preset called `name`; unknown names raise TCH_ERR_IMAGE_PRESET_UNKNOWN listing the known ones. */
export function presetByName(name: string): PreprocessConfig {
  if (typeof name !== 'string') throw new TypeError('name must be a string.');
  if (!Object.hasOwn(PRESETS, name)) {
    throw new TachyonError('TCH_ERR_IMAGE_PRESET_UNKNOWN', `Preprocessing preset "${name}" does not exist.`, {
      details: { name, known: [...PRESET_NAMES] },
    });
  }
  return PRESETS[name as PresetName];
}
