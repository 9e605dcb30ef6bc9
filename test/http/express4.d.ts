// The devDependency alias "express4" (npm:express@^4) has no types of its own; the tests
// use only what Express 4 and 5 share (use, get, listen), typed as Express 5.
declare module "express4" {
  import express from "express";
  export default express;
}
