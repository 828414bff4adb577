// Photos are shrunk on the phone before they are stored and sent: at most 1600 px on the
// long side, JPEG. The browser applies the EXIF orientation when decoding.

export const MAX_SIDE = 1600;
export const QUALITY = 0.85;

export function fitWithin(width, height, max = MAX_SIDE) {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export async function downscale(file, { max = MAX_SIDE, quality = QUALITY } = {}) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const size = fitWithin(bitmap.width, bitmap.height, max);
  const canvas = document.createElement("canvas");
  canvas.width = size.width;
  canvas.height = size.height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, size.width, size.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  return { blob, width: size.width, height: size.height, name: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg" };
}
