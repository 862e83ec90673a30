// as-pect 8.1 (AssemblyScript internals, see assembly/__tests__). ESM, as package.json is
// "type": "module". Run through scripts/aspect.mjs, which also summarises the result.
export default {
  entries: ['assembly/__tests__/**/*.spec.ts'],
  include: ['assembly/__tests__/**/*.include.ts'],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
