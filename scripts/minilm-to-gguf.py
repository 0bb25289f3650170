"""Converts a sentence-transformers BERT checkpoint (all-MiniLM-L6-v2) to a GGUF file that llama.cpp, and so
node-llama-cpp, loads as an embedding model with mean pooling.

Usage: python3 minilm-to-gguf.py <model folder with config.json, model.safetensors, tokenizer.json> <out.gguf>

Needs numpy and gguf (scripts/fetch-local-embedding-model.sh installs them into a throw-away folder). The
safetensors file is read directly (an 8-byte header length, a JSON header, raw little-endian tensors), so the
safetensors package is not needed.

Every tensor is written as F32, as in the checkpoint: the model is 23 M parameters (~90 MiB), and keeping the
original precision means its vectors are the ones sentence-transformers computes.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import gguf

SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path):
    data = path.read_bytes()
    header_len = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[base + start : base + end], dtype=SAFETENSORS_DTYPES[info["dtype"]])
        tensors[name] = array.reshape(info["shape"])
    return tensors


def gguf_tensor_name(hf_name, n_layers):
    """HF BERT names → llama.cpp's BERT names (the same table llama.cpp's own converter uses)."""
    name = hf_name.removeprefix("bert.")
    fixed = {
        "embeddings.word_embeddings.weight": "token_embd.weight",
        "embeddings.token_type_embeddings.weight": "token_types.weight",
        "embeddings.position_embeddings.weight": "position_embd.weight",
        "embeddings.LayerNorm.weight": "token_embd_norm.weight",
        "embeddings.LayerNorm.bias": "token_embd_norm.bias",
    }
    if name in fixed:
        return fixed[name]
    parts = name.split(".")
    if parts[:2] != ["encoder", "layer"] or int(parts[2]) >= n_layers:
        return None
    block = f"blk.{parts[2]}"
    rest = ".".join(parts[3:])
    per_layer = {
        "attention.self.query": "attn_q",
        "attention.self.key": "attn_k",
        "attention.self.value": "attn_v",
        "attention.output.dense": "attn_output",
        "attention.output.LayerNorm": "attn_output_norm",
        "intermediate.dense": "ffn_up",
        "output.dense": "ffn_down",
        "output.LayerNorm": "layer_output_norm",
    }
    module, _, kind = rest.rpartition(".")
    if module not in per_layer:
        return None
    return f"{block}.{per_layer[module]}.{kind}"


def wordpiece_to_llama(token):
    # llama.cpp's WPM tokenizer marks a word start with U+2581 and a continuation with nothing, where
    # WordPiece marks a continuation with "##"; special tokens keep their brackets.
    if token.startswith("[") and token.endswith("]"):
        return token
    if token.startswith("##"):
        return token[2:]
    return "\u2581" + token


def main(model_dir, out_path):
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text())
    if config.get("model_type") != "bert":
        sys.exit(f"{model_dir}/config.json: model_type {config.get('model_type')!r} is not bert")
    if tokenizer["model"]["type"] != "WordPiece":
        sys.exit(f"{model_dir}/tokenizer.json: a WordPiece tokenizer is needed, found {tokenizer['model']['type']}")

    n_layers = config["num_hidden_layers"]
    writer = gguf.GGUFWriter(out_path, "bert")
    writer.add_name("all-MiniLM-L6-v2")
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(n_layers)
    writer.add_head_count(config["num_attention_heads"])
    writer.add_layer_norm_eps(config["layer_norm_eps"])
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)

    vocab = sorted(tokenizer["model"]["vocab"].items(), key=lambda item: item[1])
    special_ids = {t["id"] for t in tokenizer.get("added_tokens", []) if t.get("special")}
    tokens = [wordpiece_to_llama(token) for token, _ in vocab]
    token_types = [
        gguf.TokenType.CONTROL if token_id in special_ids else gguf.TokenType.NORMAL for _, token_id in vocab
    ]
    ids = dict(vocab)
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(token_types)
    writer.add_token_type_count(config["type_vocab_size"])
    writer.add_bos_token_id(ids["[CLS]"])
    writer.add_eos_token_id(ids["[SEP]"])
    writer.add_unk_token_id(ids["[UNK]"])
    writer.add_sep_token_id(ids["[SEP]"])
    writer.add_pad_token_id(ids["[PAD]"])
    writer.add_mask_token_id(ids["[MASK]"])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)

    written = 0
    for hf_name, array in read_safetensors(model_dir / "model.safetensors").items():
        name = gguf_tensor_name(hf_name, n_layers)
        if name is None:
            continue  # position_ids and the pooler: not part of a mean-pooled sentence embedding
        writer.add_tensor(name, np.ascontiguousarray(array, dtype=np.float32))
        written += 1
    expected = 5 + 16 * n_layers
    if written != expected:
        sys.exit(f"converted {written} tensors, expected {expected}: {model_dir} is not a plain BERT checkpoint")

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: minilm-to-gguf.py <model folder> <out.gguf>")
    main(sys.argv[1], sys.argv[2])
