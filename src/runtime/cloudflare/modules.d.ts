// Module types for what wrangler bundles on Cloudflare Workers and TypeScript cannot know about:
// a static `.wasm` import becomes a compiled WebAssembly.Module (wrangler's default CompiledWasm
// rule), which is the only way to get WebAssembly on workerd (no compiling bytes at run time).

declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

// The same, spelled with wrangler's `?module` suffix (for a .wasm whose package ships its own .d.ts).
declare module '*.wasm?module' {
  const module: WebAssembly.Module;
  export default module;
}
