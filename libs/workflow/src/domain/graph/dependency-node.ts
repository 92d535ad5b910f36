/** The part of a workflow node the graph functions need. */
export interface DependencyNode {
  readonly id: string;
  readonly dependsOn?: readonly string[];
}
