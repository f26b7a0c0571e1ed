/* A shared object that is not an impcert plugin: no entry point. */
int not_a_plugin(void);
int not_a_plugin(void) { return 42; }
