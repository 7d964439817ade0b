// Byte-level SentencePiece ("llama") vocabulary: specials, the 256 byte tokens and "▁".
// llama.cpp's SPM tokenizer rewrites spaces as U+2581 "▁" before looking tokens up, so without a
// "▁" token every space would fall back to its 3 UTF-8 bytes. With it, any text is exactly one
// token per UTF-8 byte (a space being the "▁" token).

export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

export const UNK_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const FIRST_BYTE_ID = 3;
export const SPACE_ID = FIRST_BYTE_ID + 256;

export interface Vocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

export function byteVocab(): Vocab {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TOKEN_TYPE.byte);
  }
  tokens.push("\u2581");
  types.push(TOKEN_TYPE.normal);
  return { tokens, scores: tokens.map(() => 0), types };
}

export const VOCAB_SIZE = SPACE_ID + 1;

/** Byte value of a byte token id, or undefined for specials and "▁". */
export function byteOfToken(id: number): number | undefined {
  return id >= FIRST_BYTE_ID && id < SPACE_ID ? id - FIRST_BYTE_ID : undefined;
}
