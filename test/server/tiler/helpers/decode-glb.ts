// Test helper: decode a GLB the way a 3D Tiles client does (glTF 2.0 spec, KHR_mesh_quantization, EXT_mesh_features,
// EXT_structural_metadata), independently of the tiler's writer, and return ECEF positions per feature.

/** The parts of a glTF JSON the helper reads (glTF 2.0 property names). */
export interface GltfJson {
  scene?: number;
  scenes: Array<{ nodes: number[] }>;
  nodes: Array<{
    mesh: number;
    translation?: number[];
    scale?: number[];
    rotation?: number[];
    matrix?: number[];
  }>;
  meshes: Array<{ primitives: GltfPrimitive[] }>;
  materials: Array<{ pbrMetallicRoughness: { baseColorFactor: number[] } }>;
  accessors: Array<{
    bufferView: number;
    byteOffset?: number;
    componentType: number;
    count: number;
    type: string;
  }>;
  bufferViews: Array<{ byteOffset?: number; byteLength: number; byteStride?: number }>;
  extensionsUsed?: string[];
  extensions: {
    EXT_structural_metadata: {
      schema: {
        classes: Record<
          string,
          { properties: Record<string, { name?: string; type: string; componentType?: string }> }
        >;
      };
      propertyTables: Array<{
        class: string;
        count: number;
        properties: Record<string, { values: number; stringOffsets?: number }>;
      }>;
    };
  };
}

interface GltfPrimitive {
  attributes: Record<string, number>;
  indices: number;
  material: number;
}

export interface DecodedGltf {
  json: GltfJson;
  binary: Uint8Array;
}

export interface DecodedPrimitive {
  /** ECEF x,y,z per vertex (node transform applied, y-up turned back to z-up). */
  ecef: Float64Array;
  normals: Float32Array;
  featureIds: Float32Array;
  indices: Uint32Array;
  baseColor: number[];
}

const COMPONENT_ARRAYS: Record<number, { BYTES_PER_ELEMENT: number }> = {
  5120: Int8Array,
  5121: Uint8Array,
  5122: Int16Array,
  5123: Uint16Array,
  5125: Uint32Array,
  5126: Float32Array,
};
const COMPONENTS: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4 };

export function parseGlb(input: Uint8Array): DecodedGltf {
  // A plain copy: Node Buffers' slice() shares memory, which would break the offset arithmetic below.
  const glb = new Uint8Array(input.byteLength);
  glb.set(input);
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  if (view.getUint32(0, true) !== 0x46546c67) throw new Error('not a GLB');
  const jsonLength = view.getUint32(12, true);
  const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength)));
  const binaryStart = 20 + jsonLength;
  const binaryLength = view.getUint32(binaryStart, true);
  return { json, binary: glb.subarray(binaryStart + 8, binaryStart + 8 + binaryLength) };
}

/** Reads an accessor as an array of numbers (respecting byteStride). */
export function readAccessor(gltf: DecodedGltf, index: number): number[] {
  const accessor = gltf.json.accessors[index];
  const bufferView = gltf.json.bufferViews[accessor.bufferView];
  const Type = COMPONENT_ARRAYS[accessor.componentType];
  const components = COMPONENTS[accessor.type];
  const elementSize = Type.BYTES_PER_ELEMENT * components;
  const stride = bufferView.byteStride ?? elementSize;
  const start = (bufferView.byteOffset ?? 0) + (accessor.byteOffset ?? 0);
  const values: number[] = [];
  const copy = gltf.binary.slice(start, start + stride * (accessor.count - 1) + elementSize);
  const dataView = new DataView(copy.buffer);
  for (let element = 0; element < accessor.count; element++) {
    for (let component = 0; component < components; component++) {
      const offset = element * stride + component * Type.BYTES_PER_ELEMENT;
      let value: number;
      switch (accessor.componentType) {
        case 5120:
          value = dataView.getInt8(offset);
          break;
        case 5121:
          value = dataView.getUint8(offset);
          break;
        case 5122:
          value = dataView.getInt16(offset, true);
          break;
        case 5123:
          value = dataView.getUint16(offset, true);
          break;
        case 5125:
          value = dataView.getUint32(offset, true);
          break;
        default:
          value = dataView.getFloat32(offset, true);
      }
      values.push(value);
    }
  }
  return values;
}

/** Decodes every primitive of the GLB's single mesh node into ECEF positions. */
export function decodePrimitives(gltf: DecodedGltf): DecodedPrimitive[] {
  const node = gltf.json.nodes[gltf.json.scenes[gltf.json.scene ?? 0].nodes[0]];
  const translation: number[] = node.translation ?? [0, 0, 0];
  const scale: number[] = node.scale ?? [1, 1, 1];
  if (node.rotation || node.matrix) throw new Error('helper handles translation and scale only');
  return gltf.json.meshes[node.mesh].primitives.map((primitive) => {
    const positions = readAccessor(gltf, primitive.attributes.POSITION);
    const ecef = new Float64Array(positions.length);
    for (let index = 0; index < positions.length; index += 3) {
      // Node transform in glTF space, then glTF y-up to 3D Tiles z-up: (x, y, z) → (x, -z, y).
      const x = positions[index] * scale[0] + translation[0];
      const y = positions[index + 1] * scale[1] + translation[1];
      const z = positions[index + 2] * scale[2] + translation[2];
      ecef[index] = x;
      ecef[index + 1] = -z;
      ecef[index + 2] = y;
    }
    const material = gltf.json.materials[primitive.material];
    return {
      ecef,
      normals: new Float32Array(readAccessor(gltf, primitive.attributes.NORMAL)),
      featureIds: new Float32Array(readAccessor(gltf, primitive.attributes._FEATURE_ID_0)),
      indices: new Uint32Array(readAccessor(gltf, primitive.indices)),
      baseColor: material.pbrMetallicRoughness.baseColorFactor,
    };
  });
}

/** Reads the property table as rows of plain values (strings decoded, numbers as stored). */
export function readPropertyTable(gltf: DecodedGltf): Array<Record<string, string | number>> {
  const metadata = gltf.json.extensions.EXT_structural_metadata;
  const table = metadata.propertyTables[0];
  const properties = metadata.schema.classes[table.class].properties;
  const rows: Array<Record<string, string | number>> = Array.from({ length: table.count }, () => ({}));
  const viewBytes = (index: number) => {
    const view = gltf.json.bufferViews[index];
    return gltf.binary.slice(view.byteOffset ?? 0, (view.byteOffset ?? 0) + view.byteLength);
  };
  for (const [name, property] of Object.entries(table.properties)) {
    const definition = properties[name];
    const values = viewBytes(property.values);
    if (definition.type === 'STRING') {
      const offsets = new Uint32Array(viewBytes(property.stringOffsets!).buffer);
      for (let row = 0; row < table.count; row++) {
        rows[row][definition.name ?? name] = new TextDecoder().decode(
          values.subarray(offsets[row], offsets[row + 1]),
        );
      }
    } else {
      const array =
        definition.componentType === 'INT32'
          ? new Int32Array(values.buffer)
          : new Float64Array(values.buffer);
      for (let row = 0; row < table.count; row++) rows[row][definition.name ?? name] = array[row];
    }
  }
  return rows;
}
