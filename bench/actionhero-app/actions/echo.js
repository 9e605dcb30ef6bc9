const { Action } = require("actionhero");

/** The request/response workload: returns its input. */
class Echo extends Action {
  constructor() {
    super();
    this.name = "echo";
    this.description = "returns its input";
    this.inputs = { value: { required: true } };
    this.outputExample = { echo: 1 };
  }

  async run({ params }) {
    return { echo: params.value };
  }
}

exports.Echo = Echo;
