// Writes src/protocol/face-examples.ts from real answers of the face routes (the OpenAPI
// examples): `bun test/gen-face-examples.ts`. test/faces.test.ts fails when they go stale.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faceApp } from './face-app.ts';
import { FIXTURES, ROOT } from './helpers.ts';

const fx = (f: string) => new Blob([readFileSync(join(FIXTURES, f))]);
const { app, repo } = await faceApp();
try {
  const post = async (route: string, files: Record<string, string>) => {
    const form = new FormData();
    for (const [k, f] of Object.entries(files)) form.append(k, fx(f), f);
    const r = await app.request(`/v1/faces/${route}`, { method: 'POST', body: form });
    if (r.status !== 200) throw new Error(`${route}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const detect = await post('detect', { image: 'astronaut.jpg' });
  const embed = await post('embed', { image: 'astronaut.jpg' });
  embed.embedding = embed.embedding.slice(0, 8); // the docs show 8 of the 512
  const verify = await post('verify', { image1: 'astronaut.jpg', image2: 'astronaut_exif6.jpg' });
  const body = `// Real answers of the face routes for astronaut.jpg (and astronaut_exif6.jpg for verify), shown
// as the OpenAPI examples. Written by \`bun test/gen-face-examples.ts\`; test/faces.test.ts checks
// them against the server and fails when a change to the pipeline makes them stale.

export const EXAMPLES = {
${Object.entries({ detect, embed, verify })
  .map(([k, v]) => `  ${k}: ${JSON.stringify(v)},`)
  .join('\n')}
} as const;
`;
  writeFileSync(join(ROOT, 'src/protocol/face-examples.ts'), body);
  console.log('wrote src/protocol/face-examples.ts');
} finally {
  rmSync(repo, { recursive: true, force: true });
}
