// Svelte compiler settings: TypeScript in <script lang="ts"> is handled natively by Svelte 5.
export default {
  compilerOptions: { runes: true },
};
