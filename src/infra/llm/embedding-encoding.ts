// The base64 wire format of `/v1/embeddings` (`encoding_format: "base64"`): the vector's float32
// values, little-endian, base64-encoded. The openai v6 SDK only decodes it when it chose base64 itself.

export function decodeBase64Embedding(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 4 !== 0) {
    throw new Error(`A base64 embedding must hold whole float32 values, got ${bytes.length} bytes; the endpoint may not speak encoding_format=base64`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vector = new Array<number>(bytes.length / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  return vector;
}

export function encodeBase64Embedding(vector: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return Buffer.from(view.buffer).toString('base64');
}
