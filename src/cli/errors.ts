// Kept for the CLI modules; the class lives at the library level so library code can throw it.
export { UsageError } from "../errors.js";
