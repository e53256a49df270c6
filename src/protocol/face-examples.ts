// Real answers of the face routes for astronaut.jpg (and astronaut_exif6.jpg for verify), shown
// as the OpenAPI examples. Written by `bun test/gen-face-examples.ts`; test/faces.test.ts checks
// them against the server and fails when a change to the pipeline makes them stale.

export const EXAMPLES = {
  detect: {"faces":[{"box":[179.9,62.2,268.6,173],"score":1}],"image":{"width":512,"height":512}},
  embed: {"embedding":[0.040391,0.072892,-0.026771,0.000545,-0.030685,-0.043269,0.032744,-0.023238],"box":[179.9,62.2,268.6,173],"score":1,"candidates":[{"box":[179.9,62.2,268.6,173],"score":1}],"image":{"width":512,"height":512},"model":{"name":"face_embed","version":"1","alignment":"similarity5"}},
  verify: {"similarity":0.9973,"match":true,"threshold":0.6,"faces":[[179.9,62.2,268.6,173],[179.7,62.1,268.8,173.1]],"candidates":[[{"box":[179.9,62.2,268.6,173],"score":1}],[{"box":[179.7,62.1,268.8,173.1],"score":1}]],"model":{"name":"face_embed","version":"1","alignment":"similarity5"}},
} as const;
