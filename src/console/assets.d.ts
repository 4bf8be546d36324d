/**
 * The console's browser files are bundled into the Worker as text: `.html` by wrangler's
 * default module rules, `.client.css` and `.client.js` by the [[rules]] in wrangler.toml.
 */
declare module "*.html" {
  const text: string;
  export default text;
}
declare module "*.client.css" {
  const text: string;
  export default text;
}
declare module "*.client.js" {
  const text: string;
  export default text;
}
