/* shell component internals: the command table and the services the image's
 * commands use (image-only). */
#ifndef SHELL_INTERNAL_H
#define SHELL_INTERNAL_H

#include "shell.h"

extern const struct shell_cmd shell_commands[];
extern const struct shell_services shell_image_services;

#endif
