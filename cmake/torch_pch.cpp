// Compiled only to produce the shared precompiled LibTorch header (cmake/Dependencies.cmake).
