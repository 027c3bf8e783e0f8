// core/v1 PodTemplate.

import { describe } from "./types.ts";
import { defaultTemplate } from "./workload.ts";

export default describe({
  group: "",
  version: "v1",
  kind: "PodTemplate",
  plural: "podtemplates",
  namespaced: true,
  defaults: (pt) => defaultTemplate(pt.template),
});
