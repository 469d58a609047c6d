// Tests read JSON bodies and assert on their fields; the assertions are the type check. Node's types give
// Response.json() `unknown`, which would make every `(await res.json()).field` a cast.
declare global {
  interface Response {
    json(): Promise<any>;
  }
}
export {};
