#!/usr/bin/env node
// Regenerates src/engine/onnx/onnx.proto.json from the onnx.proto that the onnx Python package ships,
// so the engine parses ONNX with protobufjs reflection and never needs a .proto parser at run time.
// Usage: node scripts/make_onnx_proto_json.js <path/to/onnx.proto>
const fs = require('fs');
const path = require('path');
const protobuf = require('protobufjs');

const source = process.argv[2];
if (!source) {
  console.error('usage: make_onnx_proto_json.js <path/to/onnx.proto>');
  process.exit(2);
}
const root = protobuf.loadSync(source);
const out = path.join(
  __dirname,
  '..',
  'src',
  'engine',
  'onnx',
  'onnx.proto.json'
);
fs.writeFileSync(out, JSON.stringify(root.toJSON()) + '\n');
console.log(`wrote ${out}`);
