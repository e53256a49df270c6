// PRelu rewritten into elementwise operators that ONNX Runtime's CPU provider runs faster. Its
// PRelu kernel is a generic broadcasting loop, where Relu, Min, Mul and Add are vectorized: in
// the face embedder (MobileFaceNet, 33 PRelus after Convs) PRelu was a large share of the
// inference time (see README, Quantization, per operator type). Two forms:
//   'relu-min'  y = Relu(x) + slope * Min(x, 0)   exact in IEEE float: x ≥ 0 gives x + slope·0 = x
//               (slope·0 is ±0), x < 0 gives 0 + slope·x; the same bits as PRelu.
//   'min-add'   y = x + (slope - 1) * Min(x, 0)   one operator fewer; x < 0 rounds twice
//               (within a few ulp of PRelu), so outputs are equal within float tolerance only.
// The slope stays an initializer of its own shape ([C,1,1] per channel, or anything that
// broadcasts against x, as PRelu allows), so no shape inference is needed. A PRelu whose slope
// is not an initializer is left as it is. Deterministic: the same model gives the same bytes.

import { type GraphNode, type Model, encodeModel, node, parseModel } from '../quantize/graph.ts';
import { floatTensor, readFloats } from '../quantize/tensor-data.ts';

export const PRELU_FORMS = ['relu-min', 'min-add'] as const;
export type PreluForm = (typeof PRELU_FORMS)[number];

export interface PreluRewrite {
  bytes: Uint8Array;
  /** PRelu nodes rewritten. */
  rewritten: number;
  /** PRelu nodes left as they were (slope computed in the graph, not an initializer). */
  kept: string[];
}

/** The model with its PRelus rewritten in `form`. */
export function rewritePrelu(bytes: Uint8Array, form: PreluForm = 'relu-min'): PreluRewrite {
  const m = parseModel(bytes);
  const r = rewritePreluModel(m, form);
  return { bytes: r.rewritten ? encodeModel(m) : bytes, ...r };
}

export function rewritePreluModel(m: Model, form: PreluForm): { rewritten: number; kept: string[] } {
  const g = m.graph;
  const out: GraphNode[] = [];
  const kept: string[] = [];
  let rewritten = 0;
  const taken = new Set([...g.initializers.keys(), ...g.nodes.flatMap((n) => [...n.inputs, ...n.outputs])]);
  const fresh = (base: string) => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  let zero: string | undefined;
  for (const [k, n] of g.nodes.entries()) {
    if (n.opType !== 'PRelu' || n.domain !== '') {
      out.push(n);
      continue;
    }
    const [x, slope] = n.inputs;
    const [y] = n.outputs;
    const init = g.initializers.get(slope);
    const label = n.name || `PRelu_${k}`;
    if (!init || init.dataType !== 1) {
      kept.push(label);
      out.push(n);
      continue;
    }
    if (!zero) {
      zero = fresh('prelu_rewrite/zero');
      g.initializers.set(zero, { name: zero, dims: [], dataType: 1, proto: floatTensor(zero, [], Float32Array.of(0)) });
    }
    const t = (what: string) => fresh(`${label}/${what}`);
    const neg = t('min');
    const scaled = t('scaled');
    if (form === 'relu-min') {
      const pos = t('relu');
      out.push(
        node('Relu', [x], [pos], pos),
        node('Min', [x, zero], [neg], neg),
        node('Mul', [neg, slope], [scaled], scaled),
        node('Add', [pos, scaled], [y], `${label}/add`),
      );
    } else {
      const s1 = fresh(`${slope}/minus1`);
      g.initializers.set(s1, {
        name: s1,
        dims: init.dims,
        dataType: 1,
        proto: floatTensor(
          s1,
          init.dims,
          readFloats(init.proto).map((v) => v - 1),
        ),
      });
      out.push(node('Min', [x, zero], [neg], neg), node('Mul', [neg, s1], [scaled], scaled), node('Add', [x, scaled], [y], `${label}/add`));
    }
    rewritten++;
  }
  g.nodes = out;
  return { rewritten, kept };
}
